// Fargate only runs certain CPU/memory pairs; checking them here turns a
// failed `pulumi up` twenty minutes in into a config error at preview.

// cpu units → allowed memory (MiB)
function allowedMemory(cpu: number): number[] {
    const range = (from: number, to: number, step: number) =>
        Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
    switch (cpu) {
        case 256: return [512, 1024, 2048];
        case 512: return range(1024, 4096, 1024);
        case 1024: return range(2048, 8192, 1024);
        case 2048: return range(4096, 16384, 1024);
        case 4096: return range(8192, 30720, 1024);
        default: return [];
    }
}

export function checkFargateSize(what: string, cpu: number, memory: number): void {
    const memories = allowedMemory(cpu);
    if (memories.length === 0) {
        throw new Error(`${what}: cpu ${cpu} is not a Fargate size (256, 512, 1024, 2048, 4096)`);
    }
    if (!memories.includes(memory)) {
        throw new Error(`${what}: memory ${memory} does not fit cpu ${cpu} (allowed: ${memories.join(", ")})`);
    }
}
