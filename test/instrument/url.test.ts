import test from 'ava';
import { isSensitiveParameter, urlPath, urlQuery } from '../../src/instrument/url';

test('urlPath drops the query and the fragment', (t) => {
  t.is(urlPath('/ping/?x=1'), '/ping/');
  t.is(urlPath('/ping/#top'), '/ping/');
  t.is(urlPath('/a/b?c=d#e'), '/a/b');
  t.is(urlPath('/plain'), '/plain');
  t.is(urlPath(''), '');
});

test('urlPath keeps only the path of absolute-form targets, whatever their userinfo, query or fragment', (t) => {
  t.is(urlPath('http://admin:pw@127.0.0.1:8080/predict/?token=t'), '/predict/');
  t.is(urlPath('HTTPS://host/a/b#frag'), '/a/b');
  t.is(urlPath('http://user:pass@host'), '/');
  t.is(urlPath('http://user:pass@host?token=t'), '/');
  t.is(urlPath('http://user:pa#ss@host/x'), '/');
  t.is(urlPath('/already/a/path?x=http://u:p@h/'), '/already/a/path');
  t.is(urlPath('*'), '*');
});

test('urlQuery is what follows ?, without a fragment; nothing for no or an empty query', (t) => {
  t.is(urlQuery('/predict/?x=1&y=two'), 'x=1&y=two');
  t.is(urlQuery('/predict/?x=1#frag'), 'x=1');
  t.is(urlQuery('/predict/'), undefined);
  t.is(urlQuery('/predict/?'), undefined);
  t.is(urlQuery('/predict/?#frag'), undefined);
  t.is(urlQuery('http://u:p@host/predict/?a=b'), 'a=b');
});

test("urlQuery replaces the values of the conventions' sensitive parameters by REDACTED, keeping everything else as sent", (t) => {
  t.is(urlQuery('/predict/?sig=abc&x=1'), 'sig=REDACTED&x=1');
  t.is(
    urlQuery('/f?AWSAccessKeyId=AKIA&Signature=s1&X-Goog-Signature=g&X-Amz-Signature=a&X-Amz-Credential=c&Expires=1'),
    'AWSAccessKeyId=REDACTED&Signature=REDACTED&X-Goog-Signature=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&Expires=1',
  );
  t.is(urlQuery('/f?q=caf%C3%A9+au+lait&flag&empty=&=x'), 'q=caf%C3%A9+au+lait&flag&empty=&=x');
  t.is(urlQuery('/f?sig=a=b=c&sig'), 'sig=REDACTED&sig');
});

test('urlQuery redacts names matching the credential rule of headers, in any case and percent-encoded', (t) => {
  t.is(urlQuery('/f?token=t1&api_key=k1&access_token=a1&password=p&client_secret=s&Authorization=x&id=7'),
    'token=REDACTED&api_key=REDACTED&access_token=REDACTED&password=REDACTED&client_secret=REDACTED&Authorization=REDACTED&id=7');
  t.is(urlQuery('/f?SIG=1&%73ig=2&X%2DGoog-Signature=3&api+key=4&%E0%A4%A=5'), 'SIG=REDACTED&%73ig=REDACTED&X%2DGoog-Signature=REDACTED&api+key=REDACTED&%E0%A4%A=5');
});

test('isSensitiveParameter', (t) => {
  for (const name of ['sig', 'Signature', 'AWSAccessKeyId', 'x-goog-signature', 'refresh_token', 'apiKey', '%6Bey']) t.true(isSensitiveParameter(name), name);
  for (const name of ['q', 'signed', 'signatures', 'id', 'model', '%ZZ']) t.false(isSensitiveParameter(name), name);
});
