import { RoleRepository } from '../../src/modules/rbac/repository.js';
import { json, newAccount, post, type TestApp } from './app.js';

/** Gives `userId` these roles (besides the ones held), straight in the database. */
export async function grantRoles(t: TestApp, userId: string, roles: string[]): Promise<void> {
  const database = await t.db.open();
  const repository = new RoleRepository(database);
  await database.db.transaction(async (tx) => {
    for (const role of roles) await repository.grant(tx, userId, role, null, t.clock.now());
  });
}

/** Registers a fresh account holding `roles` and logs it in (the roles are in its token). */
export async function loginWithRoles(t: TestApp, roles: string[]) {
  const account = newAccount();
  const registered = await post(t.app, '/auth/register', account);
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const user = json(registered).user as { id: string; email: string };
  await grantRoles(t, user.id, roles);
  const login = await post(t.app, '/auth/login', {
    identifier: account.email,
    password: account.password,
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const body = json(login);
  return {
    account,
    user,
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
  };
}

/** A fresh account holding `admin`, logged in. */
export function loginAsAdmin(t: TestApp) {
  return loginWithRoles(t, ['admin']);
}
