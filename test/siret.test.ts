import { describe, expect, it } from "vitest";
import { isValidSiret, normalizeSiret } from "../lib/index.js";

describe("normalizeSiret()", () => {
  it("accepts 14 digits that pass the Luhn check", () => {
    expect(normalizeSiret("13002526500013")).toBe("13002526500013");
  });

  it("removes whitespace before checking", () => {
    expect(normalizeSiret(" 130 025 265\t00013 ")).toBe("13002526500013");
  });

  it("refuses a SIRET failing the Luhn check, of the wrong length or with other characters", () => {
    for (const value of [
      "13002526500014",
      "1300252650001",
      "130025265000130",
      "1300252650001A",
      "",
    ]) {
      expect(normalizeSiret(value)).toBeUndefined();
      expect(isValidSiret(value)).toBe(false);
    }
  });

  it("exempts La Poste's SIRETs (356000000…) from the Luhn check", () => {
    const laPoste = "35600000000047";
    expect(normalizeSiret(`${laPoste.slice(0, 13)}8`)).toBe("35600000000048");
    expect(normalizeSiret(laPoste)).toBe(laPoste);
    // The same digits outside La Poste's SIREN fail.
    expect(normalizeSiret("35600000100047")).toBeUndefined();
  });
});
