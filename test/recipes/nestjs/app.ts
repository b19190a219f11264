// The Nest app of the NestJS tests: session() and proconnect() mounted the way Nest mounts middleware,
// consumer.apply(…).forRoutes(route), the recipe's filter global, served on a random port.
import "reflect-metadata";
import { Module, type MiddlewareConsumer, type Type } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import session from "express-session";
import { proconnect, type ProConnectRoutes } from "proconnect-express";
import { serveTestApp, type ProConnectEmulator } from "proconnect-express/testing";
import { ProConnectFilter } from "./proconnect-nest.js";

export async function serveNestApp(
  emulator: ProConnectEmulator,
  controllers: Type[],
  route: string | Type = "*",
  routes?: ProConnectRoutes,
) {
  let close = async () => {};
  const server = await serveTestApp(
    emulator,
    async (connection) => {
      @Module({ controllers })
      class AppModule {
        configure(consumer: MiddlewareConsumer) {
          consumer
            .apply(
              session({ secret: "nest-test-secret", resave: false, saveUninitialized: false }),
              proconnect({ ...connection, ...(routes ? { routes } : {}) }),
            )
            .forRoutes(route);
        }
      }
      const app = await NestFactory.create(AppModule, { logger: false });
      app.useGlobalFilters(new ProConnectFilter());
      await app.init();
      close = () => app.close();
      return app.getHttpAdapter().getInstance();
    },
    routes ? { routes } : {},
  );
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await close();
    },
  };
}
