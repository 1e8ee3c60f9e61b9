/** The lifecycle of a file's msw server: listening for the file's tests, reset after each one. */
import type { SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** Listens (an unhandled request is an error) for the file's tests; after each test resets the handlers and calls `reset`. */
export function serveDuringTests(server: SetupServer, reset: () => void): void {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    reset();
  });
  afterAll(() => server.close());
}
