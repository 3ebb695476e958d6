import { describe, expect, it } from 'vitest';
import { roleFromGroups } from './auth';

describe('roleFromGroups', () => {
  it('takes the highest role and ignores other groups', () => {
    expect(roleFromGroups(['viewer', 'admin', 'marketer'])).toBe('admin');
    expect(roleFromGroups(['staff', 'viewer'])).toBe('viewer');
    expect(roleFromGroups(['staff'])).toBeNull();
    expect(roleFromGroups(undefined)).toBeNull();
  });

  it('ranks approver above marketer and below admin, as the API does (shared/catalog/roles.go)', () => {
    expect(roleFromGroups(['marketer', 'approver'])).toBe('approver');
    expect(roleFromGroups(['approver', 'admin'])).toBe('admin');
  });
});
