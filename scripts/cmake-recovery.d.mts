export function staleConfigure(buildDir: string): string | null;
export function clearConfigure(buildDir: string): void;
export function missingPackages(output: string): { pkg: string; why: string }[];
