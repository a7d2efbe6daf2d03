import { expand, functionInstances } from './checks.js';
import { asArray, asRecord, block, evaluate, wholeExpression, type Block, type TerraformModule } from './hcl.js';

/**
 * Frozen snapshots stay frozen only if nothing deployed connects as the owner of the tables
 * (an owner can disable their triggers). The owner is the google_sql_user named by
 * var.db_migration_user: only `pitwall migrate` uses it. Every function and job must connect
 * as another user, with that user's password, and none may read the owner's password.
 */
export const OWNER_NAME = '${var.db_migration_user}';

const ref = (value: unknown, re: RegExp) => (typeof value === 'string' ? re.exec(wholeExpression(value) ?? '')?.[1] : undefined);
/** A secret as an expression names it: `db_password["owner"]` of google_secret_manager_secret.db_password["owner"].id. */
const secretRef = (value: unknown, attribute: string) =>
  ref(value, new RegExp(`^google_secret_manager_secret\\.([\\w-]+(?:\\["[\\w-]+"\\])?)\\.${attribute}$`));
/** The instances of a resource type, by the name a reference gives them (`name` or `name["key"]`). */
const instancesOf = (module: TerraformModule, type: string) =>
  Object.entries(module.resources[type] ?? {}).flatMap(([name, body]) =>
    expand(module, type, name, body).map(({ address, scope }) => ({ name: address.slice(type.length + 1), body, scope })),
  );

export function checkDatabaseUsers(module: TerraformModule): string[] {
  const problems: string[] = [];
  const users = module.resources.google_sql_user ?? {};
  const owners = Object.entries(users).filter(([, u]) => u.name === OWNER_NAME).map(([name]) => name);
  if (owners.length !== 1) return [`expected one google_sql_user named ${OWNER_NAME} (the migration owner), found ${owners.length}`];
  const owner = owners[0]!;
  const versions = instancesOf(module, 'google_secret_manager_secret_version').map(({ body, scope }) => ({
    secret: secretRef(String(body.secret).replace('[each.key]', `["${scope.each?.key}"]`), 'id'),
    data: String(evaluate(body.secret_data, scope)),
  }));
  /** The password a Secret Manager secret holds, as the expression that generates it. */
  const passwordIn = (secret: string) => versions.find((v) => v.secret === secret)?.data;
  const ownerSecrets = instancesOf(module, 'google_secret_manager_secret').map((s) => s.name).filter((s) => passwordIn(s) === users[owner]!.password);

  const MIGRATION_SETTINGS = ['MIGRATION_DATABASE_URL', 'DB_MIGRATION_USER', 'DB_MIGRATION_PASSWORD'];
  const checkClient = (address: string, user: unknown, secret: string | undefined, keys: string[] = []) => {
    for (const key of keys.filter((k) => MIGRATION_SETTINGS.includes(k))) problems.push(`${address}: gets ${key}, the migration owner's connection`);
    const u = ref(user, /^google_sql_user\.([\w-]+)\.name$/);
    if (!u || !users[u]) problems.push(`${address}: DB_USER ${String(user)} is not a google_sql_user`);
    else if (u === owner) problems.push(`${address}: connects as the migration owner google_sql_user.${owner}, which can disable the triggers`);
    if (!secret) problems.push(`${address}: DB_PASSWORD is not from a Secret Manager secret`);
    else if (u && users[u] && passwordIn(secret) !== users[u]!.password) problems.push(`${address}: DB_PASSWORD (google_secret_manager_secret.${secret}) is not google_sql_user.${u}'s password`);
  };

  for (const instance of functionInstances(module)) {
    const body = module.resources.google_cloudfunctions2_function?.[/^google_cloudfunctions2_function\.([\w-]+)/.exec(instance.address)![1]!];
    const entry = asArray(block(body, 'service_config')?.secret_environment_variables).find((s) => s.key === 'DB_PASSWORD');
    checkClient(instance.address, instance.env.DB_USER, secretRef(entry?.secret, 'secret_id'), [...Object.keys(instance.env), ...instance.secrets]);
  }
  for (const { address, job } of Object.entries(module.resources.google_cloud_run_v2_job ?? {}).flatMap(([name, job]) =>
    expand(module, 'google_cloud_run_v2_job', name, job).map(({ address }) => ({ address, job })),
  )) {
    const container = block(block(block(job, 'template'), 'template'), 'containers');
    const plain = Object.assign({}, ...asArray(asRecord(container?.dynamic).env).map((d) => asRecord(evaluate(d.for_each, { module }))));
    const secretEnv = asArray(container?.env).find((e) => e.name === 'DB_PASSWORD');
    const secret = block(block(secretEnv as Block | undefined, 'value_source'), 'secret_key_ref')?.secret;
    const keys = [...Object.keys(plain), ...asArray(container?.env).map((e) => String(e.name))];
    checkClient(address, plain.DB_USER, secretRef(secret, 'secret_id'), keys);
  }
  for (const [name, grant] of Object.entries(module.resources.google_secret_manager_secret_iam_member ?? {})) {
    const secret = secretRef(grant.secret_id, '(?:id|secret_id)');
    if (secret && ownerSecrets.includes(secret)) problems.push(`google_secret_manager_secret_iam_member.${name} lets ${String(grant.member)} read the migration owner's password`);
  }
  return problems;
}
