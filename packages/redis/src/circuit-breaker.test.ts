import { describe, expect, it } from 'vitest';
import { CircuitOpenError, createCircuitBreaker } from './circuit-breaker.js';

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('down'));

describe('circuit breaker', () => {
  it('opens after N consecutive failures and then refuses without calling', async () => {
    let t = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 3, coolOffMs: 1000 }, () => t);
    await expect(breaker.run(fail)).rejects.toThrow('down');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    let called = false;
    const refused = breaker.run(() => { called = true; return ok(); });
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(refused).rejects.toMatchObject({ retryInMs: 1000 });
    expect(called).toBe(false);
  });

  it('a success resets the count of consecutive failures', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2 }, () => 0);
    await expect(breaker.run(fail)).rejects.toThrow();
    await breaker.run(ok);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });

  it('after the cool-off lets exactly one probe through; its success closes the circuit', async () => {
    let t = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolOffMs: 500 }, () => t);
    await expect(breaker.run(fail)).rejects.toThrow();
    t = 500;
    expect(breaker.state).toBe('half-open');
    let release!: (v: string) => void;
    const probe = breaker.run(() => new Promise<string>((r) => { release = r; }));
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    release('ok');
    await expect(probe).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(ok)).resolves.toBe('ok');
  });

  it('a failed probe opens the circuit for another cool-off', async () => {
    let t = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolOffMs: 500 }, () => t);
    await expect(breaker.run(fail)).rejects.toThrow();
    t = 600;
    await expect(breaker.run(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    t = 1000;
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    t = 1100;
    await expect(breaker.run(ok)).resolves.toBe('ok');
  });

  it('rejects bad options at construction', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => createCircuitBreaker({ coolOffMs: -1 })).toThrow(/coolOffMs/);
  });
});
