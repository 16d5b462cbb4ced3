/** The style nonce bangui put in this page's index.html: every <style> the app writes carries it
 * (the page's Content-Security-Policy allows no other inline style). */
export function styleNonce(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce || meta?.getAttribute("nonce") || undefined;
}
