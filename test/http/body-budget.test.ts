/** The process-wide budget of buffered request-body bytes (src/http/body-budget.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyBudget, BodyBudgetExceeded, isBodyBudgetExceeded } from '../../src/http/body-budget.ts';

test('leases take bytes until the budget is spent and give them back exactly once', () => {
  const budget = new BodyBudget(100);
  const a = budget.lease();
  const b = budget.lease();
  assert.equal(a.take(60), true);
  assert.equal(b.take(50), false, 'over the limit: refused');
  assert.equal(b.bytes, 0, 'a refused take holds nothing');
  assert.equal(b.take(40), true);
  assert.equal(budget.inUse, 100);
  assert.equal(a.take(1), false);
  a.release();
  a.release();
  assert.equal(budget.inUse, 40, 'a second release gives nothing back twice');
  assert.equal(a.take(1), false, 'a released lease takes nothing more');
  assert.equal(b.take(60), true);
  b.release();
  assert.equal(budget.inUse, 0);
});

test('zero-byte takes succeed; negative ones and bad limits are refused', () => {
  const budget = new BodyBudget(1);
  const lease = budget.lease();
  assert.equal(lease.take(0), true);
  assert.equal(lease.take(-5), false);
  assert.equal(budget.inUse, 0);
  assert.throws(() => new BodyBudget(0), RangeError);
  assert.throws(() => new BodyBudget(1.5), RangeError);
});

test('the refusal is a coded 503 error', () => {
  const err = new BodyBudgetExceeded();
  assert.equal(err.code, 'ERR_BODY_BUDGET_EXCEEDED');
  assert.equal(err.statusCode, 503);
  assert.ok(isBodyBudgetExceeded(err));
  assert.ok(!isBodyBudgetExceeded(new Error('x')));
});
