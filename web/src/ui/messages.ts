import { defineMessages } from "../i18n";

export const messages = defineMessages({
  en: {
    offline: "The gateway cannot be reached. Check that QuickOn is running (make up); the page retries on its own.",
    failed: "Failed ({status}). Retry, or ask a platform admin if it keeps failing.",
    loading: "Loading…",
    cancel: "Cancel",
    typeToConfirm: "Type {name} to confirm",
  },
  "zh-CN": {
    offline: "无法连接到网关。请确认 QuickOn 正在运行（make up）；页面会自动重试。",
    failed: "操作失败（{status}）。请重试；如果一直失败，请联系平台管理员。",
    loading: "加载中…",
    cancel: "取消",
    typeToConfirm: "输入 {name} 以确认",
  },
});
