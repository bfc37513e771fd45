// The TCP sockets this process listens on, read from /proc (Linux): for checks that a local run
// exposes nothing on the network.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket { address: string; port: number; loopback: boolean }

/** Hex address from /proc/net/tcp{,6} (32-bit words in host byte order, little-endian here) to text. */
function decodeAddress(hex: string): { address: string; loopback: boolean } {
  const words = hex.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse());
  if (words.length === 1) {
    const b = [...words[0]];
    return { address: b.join('.'), loopback: b[0] === 127 };
  }
  const bytes = Buffer.concat(words);
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16));
  const v4mapped = bytes.subarray(0, 10).every((x) => x === 0) && bytes.readUInt16BE(10) === 0xffff;
  const loopback = v4mapped ? bytes[12] === 127 : groups.slice(0, 7).every((g) => g === '0') && groups[7] === '1';
  return { address: groups.join(':'), loopback };
}

export function listeningSockets(pid: number | 'self' = 'self'): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while listing
    }
  }
  const out: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9])) continue; // 0A: LISTEN
      const [addr, port] = f[1].split(':');
      out.push({ ...decodeAddress(addr), port: parseInt(port, 16) });
    }
  }
  return out;
}
