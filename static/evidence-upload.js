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
  // The server says in Chinese why a file was refused (a name with a control or direction character, a type it does
  // not take, a full disk): show its words, not the upload library's English wrapper around them.
  uppy.on("upload-error", function (file, error) {
    const response = error && error.originalResponse;
    const text = response && typeof response.getBody === "function" ? response.getBody() : "";
    if (text) uppy.info(text, "error", 10000);
  });
  uppy.on("complete", function () {
    if (window.htmx) htmx.trigger("#upload-status", "load");
  });
  window.lawtraceUppy = uppy;
})();
