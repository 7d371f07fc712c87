import type { ListedApp } from '../app-directory.js';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import type { AppKey } from '../keys.js';
import { decodeCursor, forwardConnection, invalidCursor, type ConnectionArgs } from './connection.js';

// A cursor names the app it follows as account/region/appId: apps of different regions or
// accounts may not share an id.
const keyOf = (app: ListedApp) => `${app.account}/${app.region}/${app.appId}`;
const appIdOfKey = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/**
 * Every app the request's credential may use, in every region and account (ListApps), as a
 * forward connection. The list is filtered before it is paged, so neither a page's length, nor
 * `hasNextPage`, nor a cursor says anything of an app outside the credential's apps; a cursor
 * naming one (made for another credential) is refused as any malformed cursor is, whether or not
 * that app exists. Sources that could not be listed are named in `unavailable`.
 */
export async function apps(args: ConnectionArgs, ctx: Context) {
  if (args.after) {
    const { t, k } = decodeCursor(args.after);
    // This connection writes no page token (it pages one list) and always names the app.
    if (t !== undefined || k === undefined || !ctx.appDirectory.visible(appIdOfKey(k))) throw invalidCursor(args.after);
  }
  const listing = await ctx.appDirectory.list();
  const connection = await forwardConnection(
    args,
    async () => ({ items: listing.apps }),
    (app): AppKey => ({ appId: app.appId }),
    keyOf,
  );
  return { ...connection, unavailable: listing.unavailable };
}

export const appRegion = async (app: AppKey, ctx: Context) => (await ctx.appDirectory.locate(app.appId)).region;

export const appAccount = async (app: AppKey, ctx: Context) => (await ctx.appDirectory.locate(app.appId)).account;

/** A field of the app that only the Amplify console API knows (GetApp, or the ListApps that listed it). */
export async function consoleField<K extends 'defaultDomain' | 'platform' | 'createTime'>(app: AppKey, field: K, ctx: Context) {
  const described = await nullIfAbsent(ctx.appDirectory.describe(app.appId));
  return described?.[field] ?? null;
}
