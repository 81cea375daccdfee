import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Deps } from "../deps.js";
import { invalidField } from "../errors.js";
import { enforcementRoutes } from "../grants/enforcement-routes.js";
import { BODY_LIMIT_BYTES, holdsNul, trustProxyOption } from "./edge.js";
import { installErrorHandler } from "./error-handler.js";
import { installMachineAuth } from "./machine-auth.js";

/**
 * The machine listener (LOCKBOX_MACHINE_PORT, SPEC §18): the access check, activity and the
 * revocations feed, and nothing else (any other path is 404), for gateways and data services.
 * The same route definitions and use cases as the main listener (enforcement-routes.ts), the same
 * error envelope, validation and credential rules; what it leaves out is what only people's
 * browsers need, which every request on the main listener pays for:
 * - no cookie plugin, no sessions, no CSRF, no OpenAPI, no admin-center headers;
 * - no Fastify logger, hence no per-request child logger, and a counter instead of a random
 *   UUID for the request id (errors are still logged, through the app's logger, below);
 * - one synchronous hook that sets constant headers and resolves the service credential from
 *   memory on a cache hit (machine-auth.ts);
 * - the zod validators are compiled once per route at start, the NUL-character guard folded into
 *   them instead of a hook of its own.
 * Its answers are not counted in `lockbox_http_requests_total` (no per-answer hook here).
 */
export async function buildMachineServer(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    ...trustProxyOption(deps.config.trustProxy),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.setValidatorCompiler(refusingNul(validatorCompiler));
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // Without a Fastify logger, request.log discards: give the error handler the app's logger on
  // the error path only, so busy and internal errors are logged as on the main listener.
  app.addHook("onError", (request, _reply, _err, done) => {
    request.log = deps.log as FastifyBaseLogger;
    done();
  });
  installMachineAuth(app, deps);
  enforcementRoutes(app, deps);
  await app.ready();
  return app;
}

/**
 * PostgreSQL text cannot hold U+0000: as on the main listener (edge.ts), no path parameter,
 * query value or body string may contain it; here it is checked by the route's validator.
 */
function refusingNul<S>(compile: FastifySchemaCompiler<S>): FastifySchemaCompiler<S> {
  return (route) => {
    const validate = compile(route) as (data: unknown) => ReturnType<FastifyValidationFunction>;
    const where = route.httpPart ?? "body";
    const nul = () => ({ error: invalidField(where, "must not contain a NUL character (U+0000)") });
    return ((data: unknown) => (holdsNul(data) ? nul() : validate(data))) as ReturnType<FastifySchemaCompiler<S>>;
  };
}

type FastifyValidationFunction = ReturnType<FastifySchemaCompiler<unknown>>;
