import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePolicy } from './apt-candidate-versions.ts';

test('reads the candidate of each package, (none) included, ignoring the version table', () => {
  const text = [
    'linux-image-amd64:',
    '  Installed: 6.1.192-3',
    '  Candidate: 6.1.192-3',
    '  Version table:',
    ' *** 6.1.192-3 500',
    '        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages',
    'cloud-init:',
    '  Installed: (none)',
    '  Candidate: 22.4.2-1+deb12u4',
    'unknown-package:',
    '  Installed: (none)',
    '  Candidate: (none)',
    '',
  ].join('\n');
  assert.equal(Object.fromEntries(parsePolicy(text)), { 'linux-image-amd64': '6.1.192-3', 'cloud-init': '22.4.2-1+deb12u4', 'unknown-package': '(none)' });
});

test.run();
