import { defineMessages } from "../../i18n";

export const messages = defineMessages({
  en: {
    title: "Activity",
    intro: "What happens on the platform, live: newest first.",
    context: "Context",
    connecting: "Connecting to the event stream…",
    live: "Live: new events appear as they happen.",
    lost: "Connection lost; reconnecting. Events from meanwhile will follow once it is back.",
    waiting: "No event yet. They appear here as they happen.",
    events: "Events",
    subject: "Subject",
    actor: "By {actor}",
    team: "team {team}",
  },
  "zh-CN": {
    title: "动态",
    intro: "平台上正在发生的事，实时更新，最新的在前。",
    context: "上下文",
    connecting: "正在连接事件流…",
    live: "实时：新事件发生时即会出现。",
    lost: "连接已断开，正在重新连接。恢复后，期间的事件会补上。",
    waiting: "还没有事件。事件发生时会显示在这里。",
    events: "事件",
    subject: "主题",
    actor: "操作者 {actor}",
    team: "团队 {team}",
  },
});
