// Photos upload one by one as soon as they are chosen, each with its own result: on a slow or
// broken connection the form keeps what arrived and names the photo to retry. Without this script
// the files simply go with the form.
(function () {
  function csrf() {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function upload(field, file) {
    const uploads = field.querySelector(".uploads");
    const errors = field.querySelector(".upload-errors");
    const data = new FormData();
    data.append("photo", file, file.name);
    return fetch(field.dataset.uploadUrl, {method: "POST", body: data, headers: {"X-CSRFToken": csrf()}, credentials: "same-origin"})
      .then((response) => response.text().then((html) => ({ok: response.ok, html})))
      .then(({ok, html}) => {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        if (ok) {
          uploads.appendChild(holder.firstElementChild);
        } else {
          errors.appendChild(holder.firstElementChild);
        }
      })
      .catch(() => {
        const line = document.createElement("p");
        line.className = "flash flash-error upload-failed";
        line.textContent = field.dataset.failed + " " + file.name + " ";
        const retry = document.createElement("button");
        retry.type = "button";
        retry.textContent = field.dataset.retry;
        retry.addEventListener("click", () => { line.remove(); upload(field, file); });
        line.appendChild(retry);
        errors.appendChild(line);
      });
  }

  document.querySelectorAll(".photo-field").forEach((field) => {
    const input = field.querySelector("input[type=file]");
    input.addEventListener("change", () => {
      field.querySelector(".upload-errors").innerHTML = "";
      Array.from(input.files).forEach((file) => upload(field, file));
      input.value = "";  // the photos travel as uploads now, not with the form
    });
    field.addEventListener("click", (event) => {
      if (event.target.classList.contains("remove-photo")) event.target.closest(".upload").remove();
    });
  });
})();
