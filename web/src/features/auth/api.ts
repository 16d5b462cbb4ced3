import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, unwrap, type Schemas } from "../../api/client";
import { keys } from "../../api/keys";

export function useSetupStatus() {
  return useQuery({
    queryKey: keys.setup,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/setup", { signal })),
    staleTime: Infinity,
  });
}

/** The caller's session, or `null` without one (never an error for a missing session). */
export function useSession() {
  return useQuery({
    queryKey: keys.session,
    queryFn: async ({ signal }): Promise<Schemas["SessionInfo"] | null> => {
      try {
        return await unwrap(api.GET("/api/v1/auth/session", { signal }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

export function useCompleteSetup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["SetupRequest"]) => unwrap(api.POST("/api/v1/setup", { body })),
    onSuccess: () => client.setQueryData(keys.setup, { setup_complete: true }),
  });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    // The session is read before the mutation settles, so the page returned to finds it.
    mutationFn: async (password: string) => {
      await unwrap(api.POST("/api/v1/auth/login", { body: { password } }));
      return unwrap(api.GET("/api/v1/auth/session"));
    },
    onSuccess: (session) => client.setQueryData(keys.session, session),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/logout", {})),
    // Whatever the answer (the session may already be gone), the UI forgets everything it knew.
    onSettled: () => {
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== "setup" });
      client.setQueryData(keys.session, null);
    },
  });
}
