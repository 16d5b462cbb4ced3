import { Link, isRouteErrorResponse, useRouteError } from "react-router";
import { Button } from "@fluentui/react-components";
import { Empty, ErrorState } from "../components/states";
import { PageHeader } from "../components/PageHeader";

/** A page that failed to load (a new version replaced its code, most often) or threw. */
export function RouteError() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return (
    <div role="main">
      <ErrorState error={error} title="This page failed" />
      <p>
        <Button onClick={() => window.location.reload()}>Reload bangui</Button>
      </p>
    </div>
  );
}

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty title="There is no page at this address.">
        <Link to="/">Go to the dashboard</Link>
      </Empty>
    </>
  );
}
