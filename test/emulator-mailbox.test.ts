// The emulator's one-time codes by e-mail, as ProConnect's email-verification.service.ts sends them.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Mailbox } from "../lib/testing/pc-session.js";

describe("the e-mail code's sending (computeShouldSendEmail)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends one code while it is valid, another on request once the 10 minutes' cooldown is over", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const sent: string[] = [];
    const mailbox = new Mailbox(({ code }) => sent.push(code));
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr")).toBe(true);
    const first = mailbox.lastCode("pc@fia2.fr");
    expect(mailbox.resendAt("pc@fia2.fr")).toBe(Date.now() + 10 * 60 * 1000);

    vi.advanceTimersByTime(9 * 60 * 1000);
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr")).toBe(false);
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr", true)).toBe(false);

    vi.advanceTimersByTime(2 * 60 * 1000);
    // The page shown again sends nothing while the code is valid (an hour)…
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr")).toBe(false);
    expect(mailbox.lastCode("pc@fia2.fr")).toBe(first);
    // …« Recevoir un nouveau code » does.
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr", true)).toBe(true);
    expect(sent).toHaveLength(2);
    expect(mailbox.lastCode("pc@fia2.fr")).toBe(sent[1]);

    vi.advanceTimersByTime(61 * 60 * 1000);
    // Expired: the page sends a new one by itself.
    expect(mailbox.lastCode("pc@fia2.fr")).toBeUndefined();
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr")).toBe(true);
    expect(sent).toHaveLength(3);
  });

  it("counts the wrong attempts per address, across a new code", () => {
    const mailbox = new Mailbox();
    mailbox.sendCodeIfNeeded("pc@fia2.fr");
    const code = mailbox.lastCode("pc@fia2.fr")!;
    const wrong = code === "00000000" ? "11111111" : "00000000";
    for (let attempt = 0; attempt < 9; attempt++) {
      expect(mailbox.check("pc@fia2.fr", wrong)).toBe("wrong");
    }
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.advanceTimersByTime(11 * 60 * 1000);
    expect(mailbox.sendCodeIfNeeded("pc@fia2.fr", true)).toBe(true);
    expect(mailbox.check("pc@fia2.fr", wrong)).toBe("wrong");
    expect(mailbox.check("pc@fia2.fr", mailbox.lastCode("pc@fia2.fr")!)).toBe("blocked");
  });
});
