import { RoleRepository } from '../../src/modules/rbac/repository.js';
import { json, post, registerAndLogin, type TestApp } from './app.js';

/** Gives `userId` these roles (besides the ones held), straight in the database. */
export async function grantRoles(t: TestApp, userId: string, roles: string[]): Promise<void> {
  const database = await t.db.open();
  const repository = new RoleRepository(database);
  await database.db.transaction((tx) =>
    repository.grantMany(
      tx,
      roles.map((roleName) => ({ userId, roleName })),
      null,
      t.clock.now(),
    ),
  );
}

/** Registers a fresh account holding `roles`, logged in with a token that carries them. */
export async function loginWithRoles(t: TestApp, roles: string[]) {
  const registered = await registerAndLogin(t.app);
  await grantRoles(t, registered.user.id, roles);
  // The `roles` claim is read at refresh: the new token names the granted roles.
  const refreshed = await post(t.app, '/auth/refresh', { refresh_token: registered.refreshToken });
  if (refreshed.statusCode !== 200) throw new Error(`refresh failed: ${refreshed.body}`);
  const body = json(refreshed);
  return {
    account: registered.account,
    user: registered.user as { id: string; email: string },
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
  };
}

/** A fresh account holding `admin`, logged in. */
export function loginAsAdmin(t: TestApp) {
  return loginWithRoles(t, ['admin']);
}
