// Library errors name options; the CLI shows its flags for the options an error is marked with, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namingOptions } from '../../src/util/option-error.js';
import { cliMessage } from '../../src/cli/flags.js';

test('option names in marked errors become flags; other words and unmarked errors stay', () => {
  const e = namingOptions(new RangeError('format folder has no built-in test split: pass testData and/or testAnnotations'), 'format', 'testData', 'testAnnotations');
  assert.ok(e instanceof RangeError);
  assert.equal(cliMessage(e), '--format folder has no built-in test split: pass --test-data and/or --test-annotations');
  assert.equal(cliMessage(namingOptions(new Error('give at least one of runDirs or embeddings'), 'runDirs', 'embeddings')), 'give at least one of RUNDIR or --embeddings');
  assert.equal(cliMessage(namingOptions(new Error('formats: lower lr, not lrBatch'), 'lr', 'format')), 'formats: lower --lr, not lrBatch');
  assert.equal(cliMessage(new Error('withHead is plain text here')), 'withHead is plain text here');
});
