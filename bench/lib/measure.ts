import { readFileSync } from 'node:fs';

/** Peak resident set size of this process so far (VmHWM), in MB. */
export function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

/**
 * CPU time (user + system, all threads) of a process so far, in ms, from /proc/PID/stat (Linux,
 * 100 ticks a second); with `reaped`, plus that of its children that have exited and been waited
 * for: Dovecot's per-session pop3 processes, which end with their session.
 */
export function cpuMs(pid: number, reaped: boolean): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)) * 10;
}

/**
 * CPU time spent by the whole machine so far (all cores, every process and the kernel's own
 * threads; idle, I/O wait and time stolen by a hypervisor excluded), in ms, from /proc/stat (100
 * ticks a second).
 */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 10;
}
