// What an audit entry's route did, in words a marketer reads; unknown
// routes (added later) fall back to the route itself.
const WORDS: Record<string, string> = {
  'PATCH /v1/contacts/{id}': 'Edited a contact',
  'DELETE /v1/contacts/{id}': 'Erased a contact',
  'GET /v1/contacts/{id}/export': 'Exported a contact’s data',
  'POST /v1/contacts/{id}/tags': 'Tagged a contact',
  'DELETE /v1/contacts/{id}/tags/{tag}': 'Removed a tag from a contact',
  'PUT /v1/contacts/{id}/stage': 'Changed a contact’s stage',
  'PUT /v1/sites/{key}': 'Saved a site',
  'PUT /v1/forms/{formId}': 'Saved a form',
  'DELETE /v1/forms/{formId}': 'Deleted a form',
  'PUT /v1/interests': 'Saved the interest rules',
  'PUT /v1/scoring': 'Saved the scoring model',
  'PUT /v1/templates/{id}': 'Saved a template',
  'DELETE /v1/templates/{id}': 'Restored a template to the repo version',
  'POST /v1/templates/{id}/test': 'Sent a test email',
  'POST /v1/messages': 'Sent an email through the API',
  'POST /v1/users': 'Invited a user',
  'PATCH /v1/users/{id}': 'Changed a user’s role',
  'DELETE /v1/users/{id}': 'Disabled a user',
};

export function describeAction(action: string): string {
  return WORDS[action] ?? action;
}
