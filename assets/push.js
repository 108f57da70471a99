// Web push opt-in for the manage page: service worker + Push API, then our API stores the subscription.
window.slotwisePush = async function (appointmentId, manageToken) {
  try {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return "not supported by this browser";
    const keyResponse = await fetch("/api/v1/push/vapid-public-key");
    const { public_key: publicKey } = await keyResponse.json();
    if (!publicKey) return "this business has not enabled push reminders";
    if ((await Notification.requestPermission()) !== "granted") return "notifications are blocked";
    const registration = await navigator.serviceWorker.register("/sw.js");
    await navigator.serviceWorker.ready;
    const padded = (publicKey + "===".slice((publicKey.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
    const body = subscription.toJSON();
    const saved = await fetch(`/api/v1/appointments/${appointmentId}/push-subscriptions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Manage-Token": manageToken },
      body: JSON.stringify({ endpoint: body.endpoint, keys: body.keys }),
    });
    return saved.ok ? "subscribed" : (await saved.json()).message || "the server refused";
  } catch (error) {
    return String(error && error.message ? error.message : error);
  }
};
