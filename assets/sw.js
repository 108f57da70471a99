// Shows Slotwise reminders pushed through the Push API.
self.addEventListener("push", (event) => {
  let data = { title: "Appointment reminder", body: "" };
  try { data = event.data.json(); } catch (e) { if (event.data) data.body = event.data.text(); }
  event.waitUntil(self.registration.showNotification(data.title || "Appointment reminder", {
    body: data.body || "", tag: "slotwise-reminder",
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow("/"));
});
