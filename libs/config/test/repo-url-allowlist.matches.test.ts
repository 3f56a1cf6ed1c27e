import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultRepoUrlAllowlist, isRepoUrlAllowed, isSshAgentHost, parseRepoUrlAllowlist, repoUrlParts } from '../src/index.ts';

const rules = (text: string) => {
  const parsed = parseRepoUrlAllowlist(text);
  assert.equal(parsed.problems, []);
  return parsed.rules;
};

test('URL forms: scheme URLs, scp-style as ssh, file paths; anything else is none', () => {
  assert.equal(repoUrlParts('https://GitHub.com/o/r.git'), { scheme: 'https', host: 'github.com', path: '/o/r.git' });
  assert.equal(repoUrlParts('ssh://git@gitlab.example:2222/o/r'), { scheme: 'ssh', host: 'gitlab.example', path: '/o/r' });
  assert.equal(repoUrlParts('git@github.com:o/r.git'), { scheme: 'ssh', host: 'github.com', path: '' });
  assert.equal(repoUrlParts('file:///srv/git/r'), { scheme: 'file', host: '', path: '/srv/git/r' });
  for (const url of ['ext::sh -c id', 'ftp://host/r', '/srv/git/r', 'a/b:c']) assert.is(repoUrlParts(url), undefined, url);
});

test('hosts: exact, *.domain (subdomains only), *; schemes never cross', () => {
  const allow = rules('https://github.com, ssh://*.corp.example git://*');
  assert.ok(isRepoUrlAllowed(allow, 'https://github.com/o/r'));
  assert.not.ok(isRepoUrlAllowed(allow, 'https://github.com.evil.example/o/r'));
  assert.not.ok(isRepoUrlAllowed(allow, 'http://github.com/o/r'));
  assert.ok(isRepoUrlAllowed(allow, 'git@src.corp.example:o/r'));
  assert.not.ok(isRepoUrlAllowed(allow, 'ssh://corp.example/o/r'));
  assert.ok(isRepoUrlAllowed(allow, 'git://anything.example/r'));
  assert.not.ok(isRepoUrlAllowed(allow, 'file:///srv/r'));
});

test('file: only when listed, any path or inside a folder, no way out with ..', () => {
  assert.ok(isRepoUrlAllowed(rules('file://'), 'file:///etc/r'));
  const folder = rules('file:///srv/git');
  assert.ok(isRepoUrlAllowed(folder, 'file:///srv/git/r.git'));
  assert.not.ok(isRepoUrlAllowed(folder, 'file:///srv/gitx/r'));
  assert.not.ok(isRepoUrlAllowed(folder, 'file:///srv/git/../../etc'));
  assert.not.ok(isRepoUrlAllowed(folder, 'file://elsewhere/srv/git/r'));
});

test('defaults: file:// only for a loopback API; bad entries are each reported', () => {
  assert.ok(isRepoUrlAllowed(rules(defaultRepoUrlAllowlist(true)), 'file:///srv/r'));
  assert.not.ok(isRepoUrlAllowed(rules(defaultRepoUrlAllowlist(false)), 'file:///srv/r'));
  assert.ok(isRepoUrlAllowed(rules(defaultRepoUrlAllowlist(false)), 'https://example.com/r'));
  assert.is(parseRepoUrlAllowlist('ftp://x, https://user@host, file://relative, https://ok.example').problems.length, 3);
});

test('the SSH agent goes only to ssh hosts a rule names, never through ssh://*', () => {
  const allow = rules('ssh://*, ssh://github.com, ssh://*.corp.example, https://gitlab.example');
  assert.ok(isSshAgentHost(allow, 'git@github.com:o/r'));
  assert.ok(isSshAgentHost(allow, 'ssh://git@src.corp.example/o/r'));
  assert.not.ok(isSshAgentHost(allow, 'ssh://git@evil.example/o/r'));
  assert.not.ok(isSshAgentHost(allow, 'https://github.com/o/r'));
  assert.not.ok(isSshAgentHost(rules('ssh://gitlab.example'), 'git@gitlab.example.evil:r'));
});

test.run();
