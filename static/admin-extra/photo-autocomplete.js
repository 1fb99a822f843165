// The story form's lead photo: the library's autocomplete shows each photo's thumbnail
// beside its caption and credit (the list answers with a "thumbnail" URL per photo,
// articles/admin_site.py). Without JavaScript the plain select still works.
(function () {
  "use strict";

  function render(item) {
    if (!item.id || !item.thumbnail) return item.text;
    const $ = window.django.jQuery;
    return $('<span class="photo-choice"></span>').append(
      $('<img alt="" width="80" height="50" loading="lazy">').attr("src", item.thumbnail),
      $("<span></span>").text(item.text)
    );
  }

  function setUp() {
    const $ = window.django && window.django.jQuery;
    if (!$) return;
    const select = $('select[name="lead_photo"].admin-autocomplete');
    if (!select.length || !select.data("select2")) return;
    const options = select.data("select2").options.options;
    select.select2("destroy");
    select.select2(Object.assign({}, options, { templateResult: render }));
  }

  // After the admin's own autocomplete.js has set the field up (on DOMContentLoaded).
  window.addEventListener("load", setUp);
})();
