/* Prefills a new dataset's or unit's URL name from its title while the title
 * is typed, asking the site (action sdm_name_suggest: pinyin for Chinese,
 * unique), until the editor types a name of their own.  Without JavaScript
 * an empty name is made the same way when the form is saved. */
ckan.module('sdm-slug', function ($) {
  'use strict';

  return {
    options: { type: 'dataset' },

    initialize: function () {
      var input = this.el;
      var form = input.closest('form');
      var type = this.options.type;
      var endpoint = this.sandbox.client.url('/api/3/action/sdm_name_suggest');
      var follows = input.val() === '';  // an entry that has a name keeps it
      var timer = null;
      if (!follows) { return; }

      input.on('input', function () { follows = input.val() === ''; });

      function suggest() {
        var params = { type: type };
        form.find('[name^="title_translated-"]').each(function () {
          if (this.value) { params[this.name] = this.value; }
        });
        $.getJSON(endpoint, params).done(function (reply) {
          if (follows && reply.success && reply.result.name) { input.val(reply.result.name); }
        });
      }

      form.on('input', '[name^="title_translated-"]', function () {
        if (!follows && input.val() !== '') { return; }
        follows = true;
        clearTimeout(timer);
        timer = setTimeout(suggest, 300);
      });
    }
  };
});
