import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { Pager } from "./Pager";

afterEach(cleanup);

function renderPager(page: number, total: number, onPage = vi.fn()) {
  render(
    <FluentProvider theme={webLightTheme}>
      <Pager page={page} pageSize={50} total={total} label="Bans" onPage={onPage} />
    </FluentProvider>,
  );
  return onPage;
}

describe("Pager", () => {
  it("says where the page is in the list and moves one page at a time", () => {
    const onPage = renderPager(2, 100_000);
    expect(screen.getByRole("navigation", { name: "Bans pages" }).textContent).toContain("51–100 of 100,000 · page 2 of 2,000");
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    fireEvent.click(screen.getByRole("button", { name: "Previous" }));
    expect(onPage.mock.calls).toEqual([[3], [1]]);
  });

  it("cannot go before the first page or past the last", () => {
    renderPager(1, 10);
    expect(screen.getByRole("button", { name: "Previous" }).hasAttribute("disabled")).toBe(true);
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
  });
});
