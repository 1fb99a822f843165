// The story form's lead photo and a gallery's photos: the library's autocomplete shows each photo's thumbnail
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

  // A story's lead photo, and each photo of a gallery (articles/photos/admin.py).
  const PHOTO_SELECTS = 'select[name="lead_photo"].admin-autocomplete, ' +
    'select[name^="items-"][name$="-photo"].admin-autocomplete';

  function setUp(root) {
    const $ = window.django && window.django.jQuery;
    if (!$) return;
    $(root || document).find(PHOTO_SELECTS).each(function () {
      const select = $(this);
      if (!select.data("select2")) return;
      const options = select.data("select2").options.options;
      select.select2("destroy");
      select.select2(Object.assign({}, options, { templateResult: render }));
    });
  }

  // After the admin's own autocomplete.js has set the field up (on DOMContentLoaded),
  // and for each gallery row added later (after the admin's own handler for the row).
  window.addEventListener("load", function () {
    setUp(document);
  });
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () {
      setUp(event.target);
    });
  });
})();
