/**
 * One budget of request-body bytes buffered at once by a process, across every in-flight
 * request (issue 14 §1). A request takes a `BodyLease` and grows it as bytes are admitted
 * (the declared Content-Length up front, or each chunk of a chunked body); when the budget
 * cannot cover a request it is refused (503 or a close), so buffered memory never grows past
 * the limit whatever the number of slow senders. A lease is released exactly once, when the
 * request's response closes.
 */
export class BodyBudgetExceeded extends Error {
  readonly code = 'ERR_BODY_BUDGET_EXCEEDED';
  /** Fastify keeps a 4xx/5xx `statusCode` it finds on a body-stream error. */
  readonly statusCode = 503;

  constructor() {
    super('request bodies in flight exceed the buffer budget');
    this.name = 'BodyBudgetExceeded';
  }
}

export function isBodyBudgetExceeded(err: unknown): err is BodyBudgetExceeded {
  return err instanceof BodyBudgetExceeded;
}

export class BodyBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) throw new RangeError('body budget must be a positive integer of bytes');
  }

  /** Bytes held by open leases now. */
  get inUse(): number {
    return this.used;
  }

  /** A lease holding nothing yet. */
  lease(): BodyLease {
    return new BodyLease(this);
  }

  /** @internal Leases call these two. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  /** @internal */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

export class BodyLease {
  private held = 0;
  private released = false;

  constructor(private readonly budget: BodyBudget) {}

  get bytes(): number {
    return this.held;
  }

  /** Adds `bytes` to this lease; false (and nothing taken) when the budget cannot cover them. */
  take(bytes: number): boolean {
    if (this.released || bytes < 0) return false;
    if (bytes === 0) return true;
    if (!this.budget.tryTake(bytes)) return false;
    this.held += bytes;
    return true;
  }

  /** Gives everything back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}
