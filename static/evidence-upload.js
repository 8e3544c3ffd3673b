// Resumable uploads with Uppy over tus. The details form travels with every file as tus metadata.
(function () {
  "use strict";
  const target = document.getElementById("uploader");
  if (!target || !window.Uppy) return;
  const details = document.getElementById("details");
  const fields = ["case", "activity", "device", "party", "usage", "remote_reason", "returned_to_unit_at"];

  const uppy = new Uppy.Uppy({
    locale: Uppy.locales.zh_CN,
    autoProceed: false,
    restrictions: { allowedFileTypes: target.dataset.extensions.split(","), minFileSize: 1 },
    onBeforeUpload(files) {
      const meta = {};
      for (const name of fields) {
        const input = details.elements[name];
        if (input && input.value) meta[name] = input.value;
      }
      for (const file of Object.values(files)) {
        file.meta = { ...file.meta, ...meta };
      }
      return files;
    },
  });
  uppy.use(Uppy.Dashboard, {
    target: target, inline: true, width: "100%", height: 380,
    proudlyDisplayPoweredByUppy: false, showProgressDetails: true,
    note: target.dataset.extensions.replaceAll(",", " "),
  });
  uppy.use(Uppy.Tus, {
    endpoint: target.dataset.endpoint,
    headers: { "X-CSRFToken": target.dataset.csrf },
    chunkSize: 64 * 1024 * 1024,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    removeFingerprintOnSuccess: true,
    allowedMetaFields: ["name", "type", ...fields],
  });
  uppy.on("complete", function () {
    if (window.htmx) htmx.trigger("#upload-status", "load");
  });
  window.lawtraceUppy = uppy;
})();
