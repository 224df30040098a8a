// Test helpers: synthesize an env exactly as `cdk synth -c env=<env>` does,
// and evaluate the few intrinsic functions our templates use, so tests can
// read a template the way CloudFormation would for given parameters and imports.
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { addEnvStack } from "../src/envApp";
import { newApp } from "../src/synthesis";

export const STACKS_DIR = join(__dirname, "..", "..", "stacks");
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const synthesized = new Map<string, Json>();

/** The template of an env (synthesized once per test file; callers must not modify it). */
export function synth(env: string, sandbox = false): Json {
    const key = `${env}/${sandbox}`;
    if (!synthesized.has(key)) {
        const app = newApp();
        synthesized.set(key, Template.fromStack(addEnvStack(app, STACKS_DIR, env, sandbox)).toJSON());
    }
    return synthesized.get(key);
}

export interface Evaluation {
    parameters?: Record<string, string>;
    imports?: Record<string, string>;
    conditions?: Record<string, boolean>;
}

const NO_VALUE = Symbol("AWS::NoValue");

/** Evaluates Fn::If, Fn::Join, Fn::Split, Fn::ImportValue and Ref of parameters; other refs stay as they are. */
export function evaluate(value: Json, context: Evaluation): Json {
    const go = (v: Json): Json => {
        if (Array.isArray(v)) return v.map(go).filter((x) => x !== NO_VALUE);
        if (v === null || typeof v !== "object") return v;
        const keys = Object.keys(v);
        if (keys.length === 1) {
            const [key] = keys;
            const arg = v[key];
            if (key === "Ref" && arg === "AWS::NoValue") return NO_VALUE;
            if (key === "Ref" && context.parameters && arg in context.parameters) return context.parameters[arg];
            if (key === "Fn::If" && context.conditions && arg[0] in context.conditions) return go(context.conditions[arg[0]] ? arg[1] : arg[2]);
            if (key === "Fn::ImportValue" && context.imports) {
                if (!(arg in context.imports)) throw new Error(`no import ${arg}`);
                return context.imports[arg];
            }
            if (key === "Fn::Join") {
                const parts = go(arg[1]);
                if (Array.isArray(parts) && parts.every((p) => typeof p === "string")) return parts.join(arg[0]);
                return { [key]: [arg[0], parts] };
            }
            if (key === "Fn::Split") {
                const source = go(arg[1]);
                return typeof source === "string" ? source.split(arg[0]) : { [key]: [arg[0], source] };
            }
        }
        const out: Json = {};
        for (const k of keys) {
            const inner = go(v[k]);
            if (inner !== NO_VALUE) out[k] = inner;
        }
        return out;
    };
    return go(value);
}

/** The resources of a template of one type, by logical id. */
export function resourcesOfType(template: Json, type: string): Record<string, Json> {
    return Object.fromEntries(Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type));
}
