// Subnet layout of the VPC: pure arithmetic so it can be unit-tested.

export interface SubnetLayout {
    public: string[];
    private: string[];
}

function parseIpv4(ip: string): number {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
        throw new Error(`not an IPv4 address: ${ip}`);
    }
    return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function formatIpv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/**
 * Splits a /16 into /20 blocks: public subnets from the bottom, private ones
 * from the middle, so adding a third AZ later does not renumber anything.
 */
export function subnetLayout(vpcCidr: string, zones: number): SubnetLayout {
    const [address, bits] = vpcCidr.split("/");
    if (bits !== "16") {
        throw new Error(`vpcCidr must be a /16, got ${vpcCidr}`);
    }
    const base = parseIpv4(address);
    if ((base & 0xffff) !== 0) {
        throw new Error(`vpcCidr ${vpcCidr} has host bits set`);
    }
    if (zones < 1 || zones > 8) {
        throw new Error(`between 1 and 8 availability zones, got ${zones}`);
    }
    const block = (index: number) => `${formatIpv4(base + index * 4096)}/20`;
    const indexes = [...Array(zones).keys()];
    return {
        public: indexes.map((i) => block(i)),
        private: indexes.map((i) => block(8 + i)),
    };
}
