import {
  Catch,
  createParamDecorator,
  Injectable,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from "@nestjs/common";
import type { Request, Response } from "express";
import {
  ProConnectError,
  requireAuth,
  type ProConnectUser as User,
  type RequireAuthOptions,
} from "proconnect-express";

/**
 * requireAuth() as a Nest guard: a signed-in person goes on to the route; anyone else gets
 * requireAuth()'s own answer (the login redirect for a page, 401 JSON for an API call), and the
 * route does not run.
 */
export function ProConnectGuard(options: RequireAuthOptions = {}) {
  const check = requireAuth(options);
  @Injectable()
  class Guard implements CanActivate {
    canActivate(context: ExecutionContext): Promise<boolean> {
      const req = context.switchToHttp().getRequest<Request>();
      const res = context.switchToHttp().getResponse<Response>();
      return new Promise((resolve, reject) => {
        // requireAuth() answered: false stops the route (Nest sends nothing more once it is sent).
        res.once("finish", () => resolve(false)).once("close", () => resolve(false));
        check(req, res, (error?: unknown) => (error ? reject(error) : resolve(true)));
      });
    }
  }
  return Guard;
}

/** The signed-in person, as a route parameter: `me(@ProConnectUser() user: User)`. */
export const ProConnectUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User | undefined =>
    context.switchToHttp().getRequest<Request>().proconnectUser,
);

/** Each ProConnectError answered with its own status (Nest would answer 500). */
@Catch(ProConnectError)
export class ProConnectFilter implements ExceptionFilter {
  catch(error: ProConnectError, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<Response>();
    res.status(error.status).json({ error: error.code, message: error.message });
  }
}
