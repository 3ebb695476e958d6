import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// findBy* waits up to this long; a busy shared machine can need more than the 1 s default.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
