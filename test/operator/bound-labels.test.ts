/**
 * The label-values cache of the hot-path series (src/operator/metrics/bound-labels.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundLabels } from '../../src/operator/metrics/bound-labels.ts';

test('one child per distinct label values, bound once', () => {
  const bound: string[][] = [];
  const cache = new BoundLabels((values) => {
    bound.push([...values]);
    return { values: [...values] };
  });
  const a = cache.get('POST', '/v2/token/generate', '200');
  assert.equal(cache.get('POST', '/v2/token/generate', String(200)), a);
  assert.notEqual(cache.get('POST', '/v2/token/generate', '400'), a);
  // Values that a joined key could confuse stay distinct.
  const x = cache.get('a\u0000b', 'c', 'd');
  const y = cache.get('a', 'b\u0000c', 'd');
  assert.notEqual(x, y);
  assert.deepEqual(y.values, ['a', 'b\u0000c', 'd']);
  assert.equal(bound.length, 4);
});

test('the number of label values is fixed by the first call', () => {
  const cache = new BoundLabels((values) => values.join('/'));
  assert.equal(cache.get('x', 'y'), 'x/y');
  assert.throws(() => cache.get('x'), /expected 2 label values/);
  assert.throws(() => cache.get('x', 'y', 'z'), /expected 2 label values/);
  assert.equal(cache.get('x', 'y'), 'x/y');
});
