import { Controller, Get, UseGuards } from "@nestjs/common";
import type { ProConnectUser as User } from "proconnect-express";
import { ProConnectGuard, ProConnectUser } from "./proconnect-nest.js";

@Controller()
export class ProfilController {
  @Get("profil")
  @UseGuards(ProConnectGuard())
  profil(@ProConnectUser() user: User) {
    return { email: user.email, siret: user.siret };
  }

  @Get("api/me")
  @UseGuards(ProConnectGuard({ api: true, mfa: true }))
  me(@ProConnectUser() user: User) {
    return { sub: user.sub };
  }
}
