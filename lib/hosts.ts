const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether a URL's hostname is this machine: the only place http:// is ever accepted (local emulator). */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK.has(hostname);
}
