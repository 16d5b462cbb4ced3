import { Toast, ToastBody, ToastTitle, useToastController } from "@fluentui/react-components";
import { messageOf } from "../api/client";

export const TOASTER = "bangui-toaster";

/** Toasts for the result of an action: what happened, or the server's reason it did not. */
export function useNotify() {
  const { dispatchToast } = useToastController(TOASTER);
  return {
    success(title: string, body?: string) {
      dispatchToast(
        <Toast>
          <ToastTitle>{title}</ToastTitle>
          {body && <ToastBody>{body}</ToastBody>}
        </Toast>,
        { intent: "success", timeout: 4000 },
      );
    },
    failure(title: string, error: unknown) {
      dispatchToast(
        <Toast>
          <ToastTitle>{title}</ToastTitle>
          <ToastBody>{messageOf(error)}</ToastBody>
        </Toast>,
        { intent: "error", timeout: 8000, politeness: "assertive" },
      );
    },
  };
}
