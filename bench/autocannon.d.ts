/** Minimal typing of the autocannon API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
  }
  function autocannon(options: Record<string, unknown>): Promise<AutocannonResult>;
  export default autocannon;
}
