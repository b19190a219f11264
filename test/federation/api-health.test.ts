// api/api-health.feature
import { describe, expect, it } from "vitest";
import { api, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

describe("api-health.feature", () => {
  it(scenario("api-health", 5, "livez - répond ok"), async () => {
    const response = await api(`${emulator().issuer}/livez`);
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok");
  });

  it(
    scenario("api-health", 12, "readyz - répond ok quand tous les services sont disponibles"),
    async () => {
      const response = await api(`${emulator().issuer}/readyz`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.body).toBe("ok");
    },
  );

  it(scenario("api-health", 19, "readyz verbose - détaille l'état de chaque service"), async () => {
    const response = await api(`${emulator().issuer}/readyz?verbose=`);
    expect(response.status).toBe(200);
    for (const line of [
      "[+]mongodb ok",
      "[+]redis ok",
      "[+]api-entreprise ok",
      "[+]hyyyperbridge ok",
      "readyz check passed",
    ]) {
      expect(response.body).toContain(line);
    }
  });

  it(
    scenario("api-health", 29, "readyz excludes - exclut plusieurs services de la vérification"),
    async () => {
      // cypress sends the array as the parameter repeated; Nest's ParseArrayPipe also splits on commas.
      for (const query of [
        "exclude=api-entreprise&exclude=hyyyperbridge&verbose=",
        "exclude=api-entreprise,hyyyperbridge&verbose=",
      ]) {
        const response = await api(`${emulator().issuer}/readyz?${query}`);
        expect(response.status).toBe(200);
        expect(response.body).toBe(
          [
            "[+]mongodb ok",
            "[+]redis ok",
            "[+]api-entreprise excluded: ok",
            "[+]hyyyperbridge excluded: ok",
            "readyz check passed",
          ].join("\n"),
        );
      }
    },
  );
});
