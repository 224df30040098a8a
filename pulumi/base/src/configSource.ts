// Where settings come from: the part of pulumi.Config that the settings rules
// read. The CDK app (cdk/) implements it over a JSON file, so both engines run
// the same defaults and checks.

export interface ConfigSource {
    require(key: string): string;
    requireNumber(key: string): number;
    get(key: string): string | undefined;
    getNumber(key: string): number | undefined;
    getObject<T>(key: string): T | undefined;
}

