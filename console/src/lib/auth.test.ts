import { describe, expect, it } from 'vitest';
import { roleFromGroups } from './auth';

describe('roleFromGroups', () => {
  it('takes the highest role and ignores other groups', () => {
    expect(roleFromGroups(['viewer', 'admin', 'marketer'])).toBe('admin');
    expect(roleFromGroups(['staff', 'viewer'])).toBe('viewer');
    expect(roleFromGroups(['staff'])).toBeNull();
    expect(roleFromGroups(undefined)).toBeNull();
  });
});
