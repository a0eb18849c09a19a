// The report form's progressive enhancements (everything works without them): the browser's
// location fills the hidden lat/lon fields, and the contact fields hide while "Ẩn danh" is
// chosen. No data leaves the page except through the form itself.
(function () {
  'use strict';
  var button = document.getElementById('use-location');
  var status = document.getElementById('geo-status');
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener('click', function () {
      status.textContent = button.dataset.tWait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById('lat').value = pos.coords.latitude.toFixed(6);
        document.getElementById('lon').value = pos.coords.longitude.toFixed(6);
        status.textContent = button.dataset.tOk.replace('{m}', String(Math.round(pos.coords.accuracy || 0)));
      }, function () {
        status.textContent = button.dataset.tDenied;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
  var identity = document.getElementById('identity');
  var modes = document.querySelectorAll('input[name="mode"]');
  function showIdentity() {
    var chosen = document.querySelector('input[name="mode"]:checked');
    if (identity) identity.hidden = !!chosen && chosen.value === 'anonymous';
  }
  for (var i = 0; i < modes.length; i++) modes[i].addEventListener('change', showIdentity);
  showIdentity();
}());
