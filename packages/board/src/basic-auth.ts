import { createHash, timingSafeEqual } from 'node:crypto';

export interface BoardCredentials {
  readonly username: string;
  readonly password: string;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks basic-auth credentials in constant time. Both sides are hashed first, so the
 * comparison takes the same time whatever the lengths, and both fields are always compared
 * (no early exit that would tell a wrong user from a wrong password).
 */
export function createCredentialCheck(
  expected: BoardCredentials,
): (username: string, password: string) => boolean {
  const user = digest(expected.username);
  const pass = digest(expected.password);
  return (username, password) => {
    const userOk = timingSafeEqual(digest(username), user);
    const passOk = timingSafeEqual(digest(password), pass);
    return userOk && passOk;
  };
}
