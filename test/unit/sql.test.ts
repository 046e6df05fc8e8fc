import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/core/sql';

describe('quoteIdent', () => {
  it('always quotes, even plain lower-case names and reserved words', () => {
    assert.equal(quoteIdent('accounts'), '"accounts"');
    assert.equal(quoteIdent('select'), '"select"');
    assert.equal(quoteIdent('user'), '"user"');
    assert.equal(quoteIdent('MixedCase'), '"MixedCase"');
  });

  it('doubles embedded double quotes so a hostile name stays one identifier', () => {
    assert.equal(quoteIdent('a"b'), '"a""b"');
    assert.equal(quoteIdent('x"; DROP TABLE t; --'), '"x""; DROP TABLE t; --"');
    assert.equal(quoteIdent('"'), '""""');
  });

  it('keeps spaces, dots, single quotes, backslashes and unicode as they are', () => {
    assert.equal(quoteIdent('my table.v2'), '"my table.v2"');
    assert.equal(quoteIdent("o'brien\\x"), `"o'brien\\x"`);
    assert.equal(quoteIdent('Ünïcødé 表 🐘'), '"Ünïcødé 表 🐘"');
  });

  it('accepts exactly 63 bytes and refuses 64 (PostgreSQL would truncate), counting UTF-8 bytes', () => {
    assert.equal(quoteIdent('a'.repeat(63)), `"${'a'.repeat(63)}"`);
    assert.throws(() => quoteIdent('a'.repeat(64)), /64 bytes long; PostgreSQL would truncate it to 63/);
    assert.equal(quoteIdent('é'.repeat(31) + 'a'), `"${'é'.repeat(31)}a"`); // 63 bytes
    assert.throws(() => quoteIdent('é'.repeat(32)), /64 bytes/);
  });

  it('refuses the empty name, NUL and broken UTF-16', () => {
    assert.throws(() => quoteIdent(''), /cannot be empty/);
    assert.throws(() => quoteIdent('a\u0000b'), /NUL/);
    assert.throws(() => quoteIdent('a\uD800b'), /surrogate/);
  });
});

describe('quoteQualified', () => {
  it('quotes both parts', () => {
    assert.equal(quoteQualified('public', 'my"tab'), '"public"."my""tab"');
    assert.equal(quoteQualified('Sales Q1', 'select'), '"Sales Q1"."select"');
  });
});

describe('quoteLiteral', () => {
  it('single-quotes and doubles single quotes (standard_conforming_strings on)', () => {
    assert.equal(quoteLiteral('abc'), "'abc'");
    assert.equal(quoteLiteral("it's"), "'it''s'");
    assert.equal(quoteLiteral("'; DROP TABLE t; --"), "'''; DROP TABLE t; --'");
    assert.equal(quoteLiteral(''), "''");
    assert.equal(quoteLiteral('Ünïcødé 🐘\n\t'), "'Ünïcødé 🐘\n\t'");
  });

  it('uses E\'\' with doubled backslashes when the value has backslashes', () => {
    assert.equal(quoteLiteral('C:\\data'), "E'C:\\\\data'");
    assert.equal(quoteLiteral("\\'"), "E'\\\\'''");
  });

  it('refuses NUL', () => {
    assert.throws(() => quoteLiteral('a\u0000'), /NUL/);
  });
});
