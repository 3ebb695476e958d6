import { describe, expect, it } from 'vitest';
import { describeAction } from './describe';

describe('describeAction', () => {
  it('says what a known route did and falls back to the route', () => {
    expect(describeAction('PUT /v1/contacts/{id}/stage')).toBe('Changed a contact’s stage');
    expect(describeAction('POST /v1/segments')).toBe('POST /v1/segments');
  });
});
