// Listener rule priorities on the shared HTTPS listener. Every app env on a
// base owns the block listenerPriority*10 .. +9, so two envs can only collide
// if their configs name the same listenerPriority, which tests check across
// every stack file. Lower numbers win: the host+path rule (gunicorn) must come
// before the host-only rule (web-ui).

export const MAX_LISTENER_PRIORITY = 4999; // ALB rule priorities stop at 50000.

export type RoutedService = "gunicorn" | "web-ui";

export function rulePriorities(listenerPriority: number): Record<RoutedService, number> {
    if (!Number.isInteger(listenerPriority) || listenerPriority < 1 || listenerPriority > MAX_LISTENER_PRIORITY) {
        throw new Error(`listenerPriority must be an integer from 1 to ${MAX_LISTENER_PRIORITY}, got ${listenerPriority}`);
    }
    const base = listenerPriority * 10;
    return { gunicorn: base, "web-ui": base + 1 };
}

export interface EnvSlot {
    env: string;
    baseEnv: string;
    listenerPriority: number;
    redisDatabase: number;
}

/** Pairs of app envs on the same base that would share a listener priority or a Redis database. */
export function slotConflicts(slots: EnvSlot[]): string[] {
    const problems: string[] = [];
    for (const [i, a] of slots.entries()) {
        for (const b of slots.slice(i + 1)) {
            if (a.baseEnv !== b.baseEnv) continue;
            if (a.listenerPriority === b.listenerPriority) {
                problems.push(`${a.env} and ${b.env} share listenerPriority ${a.listenerPriority} on base ${a.baseEnv}`);
            }
            if (a.redisDatabase === b.redisDatabase) {
                problems.push(`${a.env} and ${b.env} share redisDatabase ${a.redisDatabase} on base ${a.baseEnv}`);
            }
        }
    }
    return problems;
}
