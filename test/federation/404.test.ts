// usager/404.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { errorPageOf, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

describe("404.feature", () => {
  it(scenario("404", 4, "Je vois une page d'erreur 404"), async () => {
    const page = await new TestBrowser().navigate(`${emulator().url}/api/v2/not-found`);
    expect(page.status).toBe(404);
    expect(errorPageOf(page.body)).toEqual({
      title: "Page non trouvée",
      code: "Y000404",
      message: "Cannot GET /api/v2/not-found",
      backLink: false,
    });
  });
});
