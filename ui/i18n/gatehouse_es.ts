<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>CameraStrip</name>
    <message>
        <location filename="../cameras.py" line="219"/>
        <source>No camera: scan with the hand scanner or find by name</source>
        <translation>Sin cámara: escanee con el lector de mano o busque por nombre</translation>
    </message>
</context>
<context>
    <name>CameraTile</name>
    <message>
        <location filename="../cameras.py" line="176"/>
        <source>LIVE</source>
        <translation>EN VIVO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="177"/>
        <source>STARTING</source>
        <translation>INICIANDO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="178"/>
        <source>CAMERA LOST</source>
        <translation>CÁMARA PERDIDA</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="179"/>
        <source>RECONNECTING</source>
        <translation>RECONECTANDO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="180"/>
        <source>STOPPED</source>
        <translation>DETENIDA</translation>
    </message>
</context>
<context>
    <name>ConfirmDialog</name>
    <message>
        <location filename="../dialogs.py" line="215"/>
        <source>Please confirm</source>
        <translation>Confirme, por favor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="221"/>
        <source>No, keep it</source>
        <translation>No, mantener</translation>
    </message>
</context>
<context>
    <name>CountsPanel</name>
    <message>
        <location filename="../counts.py" line="105"/>
        <source>Admitted</source>
        <translation>Admitidos</translation>
    </message>
    <message>
        <location filename="../counts.py" line="106"/>
        <source>Inside now</source>
        <translation>Dentro ahora</translation>
    </message>
    <message>
        <location filename="../counts.py" line="107"/>
        <source>Capacity</source>
        <translation>Aforo</translation>
    </message>
    <message>
        <location filename="../counts.py" line="108"/>
        <source>Scans / min</source>
        <translation>Lecturas / min</translation>
    </message>
    <message>
        <location filename="../counts.py" line="109"/>
        <source>Last scans (select one and press Ctrl+Z to undo)</source>
        <translation>Últimas lecturas (elija una y pulse Ctrl+Z para deshacer)</translation>
    </message>
    <message>
        <location filename="../counts.py" line="120"/>
        <source>no limit</source>
        <translation>sin límite</translation>
    </message>
    <message>
        <location filename="../counts.py" line="138"/>
        <source>unknown code</source>
        <translation>código desconocido</translation>
    </message>
    <message>
        <location filename="../counts.py" line="141"/>
        <source>(undone)</source>
        <translation>(deshecho)</translation>
    </message>
</context>
<context>
    <name>DoorWindow</name>
    <message>
        <location filename="../door_window.py" line="189"/>
        <source>Entry / Exit (F4)</source>
        <translation>Entrada / Salida (F4)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="190"/>
        <source>Find by name (F2)</source>
        <translation>Buscar por nombre (F2)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="191"/>
        <source>Override (F6)</source>
        <translation>Autorizar (F6)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="192"/>
        <source>Undo admit (Ctrl+Z)</source>
        <translation>Deshacer entrada (Ctrl+Z)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="193"/>
        <source>Settings (F9)</source>
        <translation>Ajustes (F9)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="194"/>
        <source>Lock (F12)</source>
        <translation>Bloquear (F12)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="207"/>
        <source>Gate %1</source>
        <translation>Puerta %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="211"/>
        <source>EXIT</source>
        <translation>SALIDA</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="211"/>
        <source>ENTRY</source>
        <translation>ENTRADA</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="218"/>
        <source>Signed in: %1</source>
        <translation>Sesión: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="267"/>
        <location filename="../door_window.py" line="533"/>
        <source>Paired. Downloading the ticket list...</source>
        <translation>Emparejado. Descargando la lista de entradas...</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="288"/>
        <source>Sign in first, then scan.</source>
        <translation>Inicie sesión primero y luego escanee.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="319"/>
        <source>This kiosk could not check the code: %1</source>
        <translation>Este quiosco no pudo comprobar el código: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="348"/>
        <source>Too many wrong PINs. Try again in %1 seconds.</source>
        <translation>Demasiados PIN incorrectos. Inténtelo de nuevo en %1 segundos.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="352"/>
        <source>Wrong PIN. %1 tries left before a pause.</source>
        <translation>PIN incorrecto. Quedan %1 intentos antes de una pausa.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="356"/>
        <source>%1 is not a supervisor.</source>
        <translation>%1 no es supervisor.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="360"/>
        <source>Something went wrong: %1</source>
        <translation>Algo salió mal: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="391"/>
        <source>unknown ticket</source>
        <translation>entrada desconocida</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="393"/>
        <source>Admit %1 although: %2</source>
        <translation>Admitir a %1 aunque: %2</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="414"/>
        <source>Select an admitted scan to undo.</source>
        <translation>Elija una entrada admitida para deshacer.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="418"/>
        <source>Too late to undo: only admits of the last %1 minutes.</source>
        <translation>Demasiado tarde: solo se deshacen entradas de los últimos %1 minutos.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="426"/>
        <source>Undo the admission of %1 at %2?</source>
        <translation>¿Deshacer la entrada de %1 a las %2?</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="427"/>
        <source>Yes, undo it</source>
        <translation>Sí, deshacer</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="474"/>
        <source>Open the kiosk settings</source>
        <translation>Abrir los ajustes del quiosco</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="560"/>
        <source>Close the kiosk</source>
        <translation>Cerrar el quiosco</translation>
    </message>
</context>
<context>
    <name>EntriesChart</name>
    <message>
        <location filename="../counts.py" line="68"/>
        <source>peak %1 / 15 min</source>
        <translation>máximo %1 / 15 min</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <location filename="../pages.py" line="198"/>
        <source>Kiosk locked</source>
        <translation>Quiosco bloqueado</translation>
    </message>
    <message>
        <location filename="../pages.py" line="199"/>
        <source>Pick your name, type your PIN, press Enter</source>
        <translation>Elija su nombre, escriba su PIN y pulse Intro</translation>
    </message>
    <message>
        <location filename="../pages.py" line="200"/>
        <source>Sign in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <location filename="../pages.py" line="211"/>
        <source>No staff on this event&apos;s list yet: wait for the sync.</source>
        <translation>Todavía no hay personal en la lista de este evento: espere a la sincronización.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="221"/>
        <source>Pick your name and type your PIN.</source>
        <translation>Elija su nombre y escriba su PIN.</translation>
    </message>
</context>
<context>
    <name>PairingPage</name>
    <message>
        <location filename="../pages.py" line="108"/>
        <source>Pair this kiosk</source>
        <translation>Emparejar este quiosco</translation>
    </message>
    <message>
        <location filename="../pages.py" line="111"/>
        <source>Scan the pairing QR code from the organizer with the camera or the hand scanner, or type the server address and the pairing code.</source>
        <translation>Escanee el código QR de emparejamiento del organizador con la cámara o el lector de mano, o escriba la dirección del servidor y el código.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="115"/>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <location filename="../pages.py" line="116"/>
        <source>Pairing code</source>
        <translation>Código de emparejamiento</translation>
    </message>
    <message>
        <location filename="../pages.py" line="117"/>
        <source>Kiosk name</source>
        <translation>Nombre del quiosco</translation>
    </message>
    <message>
        <location filename="../pages.py" line="118"/>
        <source>Pair (Enter)</source>
        <translation>Emparejar (Intro)</translation>
    </message>
    <message>
        <location filename="../pages.py" line="132"/>
        <source>Type the server address first.</source>
        <translation>Escriba primero la dirección del servidor.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="136"/>
        <source>Type the pairing code.</source>
        <translation>Escriba el código de emparejamiento.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="139"/>
        <source>Pairing with the server...</source>
        <translation>Emparejando con el servidor...</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../dialogs.py" line="144"/>
        <source>Find a ticket</source>
        <translation>Buscar una entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="148"/>
        <source>Name or ticket number</source>
        <translation>Nombre o número de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Ticket type</source>
        <translation>Tipo de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Ticket number</source>
        <translation>Número de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="161"/>
        <source>Admit selected (Enter)</source>
        <translation>Admitir la seleccionada (Intro)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163"/>
        <source>Close (Esc)</source>
        <translation>Cerrar (Esc)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="194"/>
        <source>Nobody found. Check the spelling or the number.</source>
        <translation>No se encontró a nadie. Revise el nombre o el número.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="240"/>
        <source>Kiosk settings</source>
        <translation>Ajustes del quiosco</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="243"/>
        <source>One camera per line: 0, /dev/video2, rtsp://...</source>
        <translation>Una cámara por línea: 0, /dev/video2, rtsp://...</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="247"/>
        <source>As paired</source>
        <translation>Según el emparejamiento</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="252"/>
        <source>Play a sound for every verdict</source>
        <translation>Sonido para cada veredicto</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="263"/>
        <source>Cameras</source>
        <translation>Cámaras</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="264"/>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="265"/>
        <source>Gate</source>
        <translation>Puerta</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="266"/>
        <source>Sounds</source>
        <translation>Sonidos</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="267"/>
        <source>Verdict shown for</source>
        <translation>Veredicto visible durante</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="268"/>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
</context>
<context>
    <name>SupervisorDialog</name>
    <message>
        <location filename="../dialogs.py" line="57"/>
        <source>Phone died / screen broken</source>
        <translation>Móvil sin batería / pantalla rota</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="58"/>
        <source>Ticket bought at the door today</source>
        <translation>Entrada comprada hoy en taquilla</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="59"/>
        <source>Guest list</source>
        <translation>Lista de invitados</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="60"/>
        <source>Staff or artist</source>
        <translation>Personal o artista</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="65"/>
        <source>Supervisor approval</source>
        <translation>Aprobación del supervisor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="81"/>
        <source>Supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="82"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="84"/>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87"/>
        <source>No supervisor is on this event&apos;s staff list.</source>
        <translation>No hay ningún supervisor en la lista de personal de este evento.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="92"/>
        <source>Approve</source>
        <translation>Aprobar</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="106"/>
        <source>Say why: pick or type a reason.</source>
        <translation>Indique por qué: elija o escriba un motivo.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="110"/>
        <source>Type the PIN.</source>
        <translation>Escriba el PIN.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="113"/>
        <source>Checking...</source>
        <translation>Comprobando...</translation>
    </message>
</context>
<context>
    <name>SyncBadge</name>
    <message>
        <location filename="../sync_badge.py" line="43"/>
        <source>no ticket list</source>
        <translation>sin lista de entradas</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="45"/>
        <source>list %1 s old</source>
        <translation>lista de hace %1 s</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="49"/>
        <source>list %1 min old</source>
        <translation>lista de hace %1 min</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="52"/>
        <source>list %1 h old</source>
        <translation>lista de hace %1 h</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="90"/>
        <source>NO SYNC</source>
        <translation>SIN SINCRONIZAR</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="92"/>
        <source>REVOKED</source>
        <translation>REVOCADO</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="93"/>
        <source>this kiosk was removed by the organizer</source>
        <translation>el organizador retiró este quiosco</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="95"/>
        <source>NOT PAIRED</source>
        <translation>SIN EMPAREJAR</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="99"/>
        <source>● ONLINE</source>
        <translation>● EN LÍNEA</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="99"/>
        <source>● OFFLINE</source>
        <translation>● SIN CONEXIÓN</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="102"/>
        <source>%1 to upload</source>
        <translation>%1 por subir</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <location filename="../texts.py" line="29"/>
        <source>ADMIT (OVERRIDE)</source>
        <translation>ADMITIDO (AUTORIZADO)</translation>
    </message>
    <message>
        <location filename="../texts.py" line="31"/>
        <source>UNDONE</source>
        <translation>DESHECHO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="33"/>
        <source>ADMIT</source>
        <translation>ADMITIDO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="34"/>
        <source>REJECT</source>
        <translation>RECHAZADO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="35"/>
        <source>CHECK</source>
        <translation>REVISAR</translation>
    </message>
    <message>
        <location filename="../texts.py" line="36"/>
        <source>EXIT</source>
        <translation>SALIDA</translation>
    </message>
    <message>
        <location filename="../texts.py" line="54"/>
        <source>revoked</source>
        <translation>revocada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="55"/>
        <source>cancelled</source>
        <translation>cancelada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="56"/>
        <source>refunded</source>
        <translation>reembolsada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="57"/>
        <source>transferred</source>
        <translation>transferida</translation>
    </message>
    <message>
        <location filename="../texts.py" line="67"/>
        <source>Already inside</source>
        <translation>Ya está dentro</translation>
    </message>
    <message>
        <location filename="../texts.py" line="69"/>
        <source>Already scanned</source>
        <translation>Ya escaneada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="73"/>
        <source>%1 at %2 at %3</source>
        <translation>%1 en %2 a las %3</translation>
    </message>
    <message>
        <location filename="../texts.py" line="80"/>
        <source>%1 at %2</source>
        <translation>%1 a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="86"/>
        <source>Ticket %1: not valid any more</source>
        <translation>Entrada %1: ya no es válida</translation>
    </message>
    <message>
        <location filename="../texts.py" line="90"/>
        <source>Not valid yet: from %1</source>
        <translation>Todavía no es válida: desde las %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="94"/>
        <source>Ticket expired at %1</source>
        <translation>La entrada caducó a las %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="98"/>
        <source>Wrong entrance for %1</source>
        <translation>Puerta equivocada para %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="102"/>
        <source>Venue full (%1 inside)</source>
        <translation>Aforo completo (%1 dentro)</translation>
    </message>
    <message>
        <location filename="../texts.py" line="108"/>
        <source>Welcome</source>
        <translation>Bienvenido</translation>
    </message>
    <message>
        <location filename="../texts.py" line="109"/>
        <source>Welcome back</source>
        <translation>Bienvenido de nuevo</translation>
    </message>
    <message>
        <location filename="../texts.py" line="110"/>
        <source>Exit recorded</source>
        <translation>Salida registrada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="111"/>
        <source>Admission undone</source>
        <translation>Entrada deshecha</translation>
    </message>
    <message>
        <location filename="../texts.py" line="112"/>
        <source>Code damaged or not a ticket: scan again or search by name</source>
        <translation>Código dañado o no es una entrada: escanee de nuevo o busque por nombre</translation>
    </message>
    <message>
        <location filename="../texts.py" line="115"/>
        <source>Ticket format too new for this kiosk: use the name search</source>
        <translation>Formato de entrada demasiado nuevo para este quiosco: busque por nombre</translation>
    </message>
    <message>
        <location filename="../texts.py" line="118"/>
        <source>Fake ticket: signature does not match</source>
        <translation>Entrada falsa: la firma no coincide</translation>
    </message>
    <message>
        <location filename="../texts.py" line="119"/>
        <source>Unknown ticket issuer: not for this event, or sync needed</source>
        <translation>Emisor desconocido: no es de este evento o falta sincronizar</translation>
    </message>
    <message>
        <location filename="../texts.py" line="122"/>
        <source>Ticket is for a different event</source>
        <translation>La entrada es de otro evento</translation>
    </message>
    <message>
        <location filename="../texts.py" line="123"/>
        <source>Ticket not on this event&apos;s list</source>
        <translation>La entrada no está en la lista de este evento</translation>
    </message>
    <message>
        <location filename="../texts.py" line="124"/>
        <source>Reservation not paid: send to the box office</source>
        <translation>Reserva sin pagar: enviar a taquilla</translation>
    </message>
</context>
<context>
    <name>VerdictPanel</name>
    <message>
        <location filename="../verdict_panel.py" line="63"/>
        <source>EXIT SCANS</source>
        <translation>SALIDAS</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="63"/>
        <source>READY</source>
        <translation>LISTO</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="65"/>
        <source>Scan a ticket</source>
        <translation>Escanee una entrada</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="67"/>
        <source>Hold the code to the camera or use the hand scanner</source>
        <translation>Acerque el código a la cámara o use el lector de mano</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="80"/>
        <source>Unknown ticket</source>
        <translation>Entrada desconocida</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="84"/>
        <source>(same scan again)</source>
        <translation>(la misma lectura otra vez)</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="92"/>
        <source>CANNOT CHECK</source>
        <translation>NO SE PUEDE COMPROBAR</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="96"/>
        <source>Call a supervisor</source>
        <translation>Llame a un supervisor</translation>
    </message>
</context>
</TS>
