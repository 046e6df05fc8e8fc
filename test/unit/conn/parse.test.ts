import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConnStringError, parseConnString } from '../../../src/core/conn';

/** The ConnStringError a bad string raises (fails the test if it parses). */
function parseError(s: string): ConnStringError {
  try {
    parseConnString(s);
  } catch (e) {
    assert.ok(e instanceof ConnStringError, `expected ConnStringError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseConnString: keyword/value', () => {
  it('reads plain keyword=value pairs, spaces around "=" allowed', () => {
    assert.deepEqual(parseConnString('host=db1 port = 5433  dbname=app\tuser =bob'), {
      host: 'db1', port: '5433', dbname: 'app', user: 'bob',
    });
  });

  it('reads single-quoted values with \\\' and \\\\ escapes, and empty values', () => {
    assert.deepEqual(parseConnString(String.raw`application_name='it\'s a \\ test' options='-c search_path=a' password=''`), {
      application_name: "it's a \\ test", options: '-c search_path=a', password: '',
    });
  });

  it('unquoted values honour backslash escapes too (libpq)', () => {
    assert.deepEqual(parseConnString(String.raw`password=a\ b\'c`), { password: "a b'c" });
  });

  it('keeps multi-host lists as libpq does', () => {
    assert.deepEqual(parseConnString('host=a,b port=5432,5433 target_session_attrs=read-write connect_timeout=20'), {
      host: 'a,b', port: '5432,5433', target_session_attrs: 'read-write', connect_timeout: '20',
    });
  });

  it('the last occurrence of a keyword wins; the empty string is valid', () => {
    assert.deepEqual(parseConnString('host=a host=b'), { host: 'b' });
    assert.deepEqual(parseConnString('   '), {});
  });

  it('accepts every libpq keyword, not only the common ones', () => {
    assert.deepEqual(parseConnString('keepalives_idle=30 sslnegotiation=direct load_balance_hosts=random'), {
      keepalives_idle: '30', sslnegotiation: 'direct', load_balance_hosts: 'random',
    });
  });

  it('an unknown keyword is named, with its position and a suggestion', () => {
    const e = parseError('host=a hots=b');
    assert.match(e.message, /invalid connection option "hots" at position 8/);
    assert.match(e.message, /did you mean "host"/);
    assert.equal(e.part, 'hots');
    assert.equal(e.position, 8);
  });

  it('a missing "=" names the word and where it is', () => {
    const e = parseError('host=a dbname');
    assert.match(e.message, /missing "=" after "dbname" at position 8/);
    assert.equal(e.position, 8);
  });

  it('an unterminated quote says where the value starts', () => {
    const e = parseError("host=a application_name='abc");
    assert.match(e.message, /unterminated quoted string for "application_name" starting at position 25/);
    assert.equal(e.position, 25);
  });

  it('a bad port is quoted with its position, also inside a list', () => {
    let e = parseError('host=a port=54x2');
    assert.match(e.message, /invalid port "54x2"/);
    assert.equal(e.position, 13);
    e = parseError('host=a,b port=5432,70000');
    assert.match(e.message, /invalid port "70000".* at position 20/);
    assert.equal(e.part, '70000');
  });

  it('rejects bad sslmode / target_session_attrs / connect_timeout values where they are typed', () => {
    assert.match(parseError('sslmode=required').message, /invalid sslmode value "required".*verify-full/);
    assert.match(parseError('target_session_attrs=readwrite').message, /invalid target_session_attrs value "readwrite"/);
    assert.match(parseError('connect_timeout=ten').message, /invalid integer value "ten" for "connect_timeout"/);
  });

  it('text after an unquoted password is never echoed (it may be the rest of the password)', () => {
    const e = parseError('host=a password=open sesame user=x');
    assert.doesNotMatch(e.message, /sesame/);
    assert.match(e.message, /after the value of "password".*single-quoted/);
    assert.equal(e.part, undefined);
  });

  it('an unterminated quoted password is reported without its content', () => {
    const e = parseError("user=x password='hunter2 host=b");
    assert.doesNotMatch(e.message, /hunter2/);
    assert.match(e.message, /unterminated quoted string for "password"/);
  });
});

describe('parseConnString: URI', () => {
  it('reads user, password, host, port, dbname and query parameters', () => {
    assert.deepEqual(parseConnString('postgresql://bob:secret@db.example.com:5433/app?sslmode=require&application_name=pilot'), {
      user: 'bob', password: 'secret', host: 'db.example.com', port: '5433', dbname: 'app', sslmode: 'require', application_name: 'pilot',
    });
  });

  it('accepts the postgres:// prefix and the bare prefix', () => {
    assert.deepEqual(parseConnString('postgres://h'), { host: 'h' });
    assert.deepEqual(parseConnString('postgresql://'), {});
    assert.deepEqual(parseConnString('postgresql:///mydb'), { dbname: 'mydb' });
  });

  it('percent-decodes every part (UTF-8), including a socket directory as host', () => {
    assert.deepEqual(parseConnString('postgresql://us%40er:p%3Ass%2Fw%25@%2Fvar%2Frun%2Fpostgresql/caf%C3%A9?options=-c%20x%3Dy'), {
      user: 'us@er', password: 'p:ss/w%', host: '/var/run/postgresql', dbname: 'café', options: '-c x=y',
    });
  });

  it('reads multi-host lists, with a port for some hosts only', () => {
    assert.deepEqual(parseConnString('postgresql://a:5432,b,c:5434/db?target_session_attrs=read-write'), {
      host: 'a,b,c', port: '5432,,5434', dbname: 'db', target_session_attrs: 'read-write',
    });
  });

  it('reads IPv6 addresses in brackets', () => {
    assert.deepEqual(parseConnString('postgresql://[::1]:5432,[2001:db8::7]/db'), { host: '::1,2001:db8::7', port: '5432,', dbname: 'db' });
    assert.deepEqual(parseConnString('postgresql://user@[fe80::1%25eth0]'), { user: 'user', host: 'fe80::1%eth0' });
  });

  it('maps ssl=true to sslmode=require (libpq JDBC compatibility)', () => {
    assert.deepEqual(parseConnString('postgresql://h/db?ssl=true'), { host: 'h', dbname: 'db', sslmode: 'require' });
  });

  it('bad percent-encoding is quoted with its position', () => {
    const e = parseError('postgresql://h/db%zz');
    assert.match(e.message, /invalid percent-encoding "%zz" at position 18/);
    assert.equal(e.position, 18);
    assert.match(parseError('postgresql://h/db%0').message, /invalid percent-encoding "%0"/);
    assert.match(parseError('postgresql://h/a%00b').message, /forbidden value %00/);
  });

  it('bad percent-encoding inside a password is located but not shown', () => {
    const e = parseError('postgresql://bob:hunt%er2@h/db');
    assert.doesNotMatch(e.message, /hunt|er2/);
    assert.match(e.message, /invalid percent-encoding at position 22 in the password/);
  });

  it('a bad port in a URI is quoted with its position', () => {
    const e = parseError('postgresql://a:5432,b:99999/db');
    assert.match(e.message, /invalid port "99999".* at position 23/);
    assert.equal(e.position, 23);
  });

  it('an unknown query parameter is named', () => {
    const e = parseError('postgresql://h/db?sslmod=require');
    assert.match(e.message, /invalid URI query parameter "sslmod" at position 19 \(did you mean "sslmode"\?\)/);
  });

  it('malformed IPv6 and query syntax are reported', () => {
    assert.match(parseError('postgresql://[::1/db').message, /missing "]"/);
    assert.match(parseError('postgresql://[]/db').message, /empty IPv6 address/);
    assert.match(parseError('postgresql://[::1]x/db').message, /unexpected character "x" at position 19/);
    assert.match(parseError('postgresql://h/db?sslmode').message, /missing "=" in URI query parameter "sslmode"/);
    assert.match(parseError('postgresql://h/db?a=b=c').message, /extra "="/);
  });

  it('keeps spaces inside URI parts as libpq does (no trimming, no refusal)', () => {
    assert.deepEqual(parseConnString('postgresql://h/my db'), { host: 'h', dbname: 'my db' });
    assert.deepEqual(parseConnString('postgresql://u:a b@h/app '), { user: 'u', password: 'a b', host: 'h', dbname: 'app ' });
  });
});
